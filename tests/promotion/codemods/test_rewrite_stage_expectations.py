import pytest
from codemod_helpers import same, transform

from fledge_promote.planning.codemods import RewriteStageExpectationsCommand, run_commands


def promoted(new_warning=None):
    return RewriteStageExpectationsCommand("experimental", "stable", ("ExperimentalWarning",),
                                           new_warning)


def test_stage_assertions_follow_the_stage_and_other_uses_stay():
    before = '''
        import fledge
        from fledge import Stage

        NOTICE = {fledge.Stage.EXPERIMENTAL: fledge.ExperimentalWarning}


        def test_stage(record):
            assert record.feature.stage is fledge.Stage.EXPERIMENTAL
            assert Stage.EXPERIMENTAL == record.feature.stage, "experimental"
            assert record.feature.stage in (Stage.EXPERIMENTAL, Stage.DEPRECATED)
            assert record.feature.stage is not fledge.Stage.DEPRECATED
            stage = fledge.Stage.EXPERIMENTAL
        '''
    assert transform(before, promoted()) == same('''
        import fledge
        from fledge import Stage

        NOTICE = {fledge.Stage.EXPERIMENTAL: fledge.ExperimentalWarning}


        def test_stage(record):
            assert record.feature.stage is fledge.Stage.STABLE
            assert Stage.STABLE == record.feature.stage, "experimental"
            assert record.feature.stage in (Stage.EXPERIMENTAL, Stage.DEPRECATED)
            assert record.feature.stage is not fledge.Stage.DEPRECATED
            stage = fledge.Stage.EXPERIMENTAL
        ''')


def test_an_expected_warning_without_a_successor_is_listed_not_rewritten():
    command = promoted()
    source = same('''
        import pytest
        import fledge


        def test_warns():
            with pytest.warns(fledge.ExperimentalWarning, match="word_variety"):
                import word_variety
            with pytest.warns(UserWarning):
                pass
        ''')
    result = run_commands("t.py", source, [command])
    assert result.status == "unchanged"
    assert command.unrewritable == [
        'pytest.warns(fledge.ExperimentalWarning, match="word_variety")']


def test_an_expected_warning_with_a_successor_is_rewritten():
    before = '''
        def test_warns():
            with pytest.warns(TRLExperimentalWarning):
                pass
            with pytest.warns(expected_warning=fledge.ExperimentalWarning, match="x"):
                pass
        '''
    assert transform(before, RewriteStageExpectationsCommand(
        "stable", "deprecated", ("ExperimentalWarning",), "FutureWarning")) == same('''
        def test_warns():
            with pytest.warns(FutureWarning):
                pass
            with pytest.warns(expected_warning=FutureWarning, match="x"):
                pass
        ''')


def test_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="stages must be among experimental, stable, "
                                         "deprecated; got 'beta' -> 'stable'"):
        RewriteStageExpectationsCommand("beta", "stable", (), None)
