from codemod_helpers import MAPPING, same, transform

from fledge_promote.planning.codemods import RewriteDottedStringsCommand


def test_whole_dotted_strings_and_object_references_only():
    command = RewriteDottedStringsCommand(MAPPING)
    assert transform("""
        patch("trl.experimental.foo.foo_trainer.helper")
        demo = 'trl.experimental.foo.demo:main'
        prose = "see trl.experimental.foo for details"
        other = "trl.experimental.foobar"
        data = b"trl.experimental.foo"
        """, command) == same("""
        patch("trl.trainer.foo.foo_trainer.helper")
        demo = 'trl.trainer.foo.demo:main'
        prose = "see trl.experimental.foo for details"
        other = "trl.experimental.foobar"
        data = b"trl.experimental.foo"
        """)
