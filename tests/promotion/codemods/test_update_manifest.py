from codemod_helpers import same, transform

from fledge_promote.planning.codemods import UpdateManifestCommand


def test_sets_existing_fields_and_appends_new_ones_in_the_same_layout():
    command = UpdateManifestCommand({
        "stage": "stable", "stable_path": "pkg.stable", "promoted_in": "0.3.0"})
    assert transform("""
        FEATURE = Feature(
            name="x",  # the name
            stage="experimental",
            exports=("A",),
        )
        """, command) == same("""
        FEATURE = Feature(
            name="x",  # the name
            stage="stable",
            exports=("A",),
            stable_path="pkg.stable",
            promoted_in="0.3.0",
        )
        """)


def test_one_line_call():
    command = UpdateManifestCommand({"stage": "deprecated", "removal": "1.0"})
    assert transform('F = fledge.Feature(name="x", summary="s")\n', command) == (
        'F = fledge.Feature(name="x", summary="s", stage="deprecated", removal="1.0")\n')
