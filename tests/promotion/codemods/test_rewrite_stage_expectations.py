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


def demoted():
    return RewriteStageExpectationsCommand("stable", "experimental", (),
                                           "fledge.ExperimentalWarning")


def test_demotion_restages_assertions_and_lists_what_expects_no_warning():
    command = demoted()
    source = same('''
        import warnings

        import pytest
        import fledge


        @pytest.mark.filterwarnings("error")
        def test_quiet(record):
            assert record.feature.stage is fledge.Stage.STABLE
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                import word_variety
            with pytest.warns(None):
                import word_variety


        @pytest.mark.filterwarnings("error::FutureWarning")
        def test_other_filters():
            with warnings.catch_warnings():
                warnings.simplefilter("error", DeprecationWarning)
                warnings.filterwarnings("error", "x", FutureWarning)
                warnings.filterwarnings("error", category=fledge.ExperimentalWarning)
                warnings.simplefilter("ignore")
        ''')
    result = run_commands("t.py", source, [command])
    assert result.status == "changed"
    assert "assert record.feature.stage is fledge.Stage.EXPERIMENTAL\n" in result.code
    assert command.expects_no_warning == [
        'pytest.mark.filterwarnings("error")', 'warnings.simplefilter("error")',
        "pytest.warns(None)",
        'warnings.filterwarnings("error", category=fledge.ExperimentalWarning)']
    assert command.unrewritable == []


def test_a_promotion_lists_no_error_filter():
    command = promoted()
    result = run_commands("t.py", same('''
        import warnings


        def test_quiet():
            warnings.simplefilter("error")
        '''), [command])
    assert result.status == "unchanged" and command.expects_no_warning == []
