"""A git repository built from TRL 0.25.0's real package, with CPO still stable: TRL as it
stood just before its maintainers moved CPO into ``trl.experimental`` (the version being
developed then was 0.26.0.dev0).

The package comes from TRL's 0.25.0 sdist on PyPI (``trl/``, ``pyproject.toml`` with TRL's own
ruff settings, ``LICENSE``), fetched once into ``build/trl-sdist/`` (or ``FLEDGE_TRL_SDIST``)
by trl_copy.py's helper; offline there is no such copy and the tests using it skip, saying
so. The docs, tests and example around it are written here, laid out as TRL's are (a
``_toctree.yml`` whose "Trainers" section sits inside "API", an "Experimental" section that
opens with its overview, ``tests/test_trainers_args.py`` importing every config and trainer
in one parenthesised import); none of TRL's prose is copied.
"""

from __future__ import annotations

from pathlib import Path

from trl_copy import TESTS as TRL_COPY_TESTS
from trl_copy import TRL_LAYOUT_SECTION, build_release_copy

VERSION = "0.25.0"
DEVELOPING = "0.26.0.dev0"

# docs/promote.md's "A repository laid out like TRL", with what the tests need besides.
PROMOTE_SECTION = TRL_LAYOUT_SECTION + """
min_age_days = 0
skip_checks = ["coverage", "docs-examples", "api-stable"]
tests_timeout = 300
"""

TOCTREE = """
- sections:
  - local: index
    title: TRL
  - local: installation
    title: Installation
  title: Getting started
- sections:
  - sections: # Sorted alphabetically
    - local: cpo_trainer
      title: CPO
    - local: dpo_trainer
      title: DPO
    - local: kto_trainer
      title: KTO
    - local: sft_trainer
      title: SFT
    title: Trainers
  - local: data_utils
    title: Data Utilities
  title: API
- sections:
  - local: experimental_overview
    title: Experimental Overview
  - local: bema_for_reference_model
    title: BEMA for Reference Model
  - local: gfpo
    title: GFPO
  - local: papo_trainer
    title: PAPO
  title: Experimental
"""

# Pages listed in the navigation besides CPO's: a title and a line of our own.
OTHER_PAGES = {
    "index": ("TRL", "Train language models after pre-training: start with [SFT](sft_trainer), "
              "compare preferences with [DPO](dpo_trainer) or [CPO](cpo_trainer)."),
    "installation": ("Installation", "Install the package with `pip install trl`."),
    "dpo_trainer": ("DPO Trainer", "[[autodoc]] DPOTrainer"),
    "kto_trainer": ("KTO Trainer", "[[autodoc]] KTOTrainer"),
    "sft_trainer": ("SFT Trainer", "[[autodoc]] SFTTrainer"),
    "data_utils": ("Data Utilities", "[[autodoc]] apply_chat_template"),
    "experimental_overview": ("Experimental", "Trainers here may change or go in any release."),
    "bema_for_reference_model": ("BEMA for Reference Model", "A callback of the experimental "
                                 "namespace."),
    "gfpo": ("GFPO", "An experimental GRPO variant."),
    "papo_trainer": ("PAPO", "An experimental multimodal trainer."),
}

DOCS = {
    "docs/source/_toctree.yml": TOCTREE,
    **{f"docs/source/{page}.md": f"# {title}\n\n{body}\n"
       for page, (title, body) in OTHER_PAGES.items()},
    "docs/source/cpo_trainer.md": """
        # CPO Trainer

        Contrastive preference optimization trains on preference pairs without a reference
        model, like [DPO](dpo_trainer) without the second copy of the model.

        ## Usage

        ```python
        from trl import CPOConfig, CPOTrainer

        training_args = CPOConfig(output_dir="cpo-model", beta=0.1)
        trainer = CPOTrainer(model=model, args=training_args, train_dataset=dataset)
        ```

        ## CPOTrainer

        [[autodoc]] CPOTrainer
            - train

        ## CPOConfig

        [[autodoc]] CPOConfig
        """,
}

TESTS = {
    "tests/__init__.py": "",
    "tests/experimental/__init__.py": "",
    "tests/testing_utils.py": TRL_COPY_TESTS["tests/testing_utils.py"],
    "tests/test_cpo_trainer.py": '''
        from trl import CPOConfig, CPOTrainer
        from trl.trainer.base_trainer import BaseTrainer

        from .testing_utils import TrlTestCase


        class TestCPOTrainer(TrlTestCase):
            def test_config_defaults(self):
                config = CPOConfig(output_dir=self.tmp_dir, bf16=False)
                assert config.loss_type == "sigmoid"
                assert config.beta == 0.1

            def test_trainer_is_a_trl_trainer(self):
                assert issubclass(CPOTrainer, BaseTrainer)
        ''',
    "tests/test_trainers_args.py": '''
        from trl import (
            CPOConfig,
            CPOTrainer,
            DPOConfig,
            KTOConfig,
        )

        from .testing_utils import TrlTestCase


        class TestTrainerArgs(TrlTestCase):
            def test_cpo(self):
                args = CPOConfig(
                    self.tmp_dir, beta=0.5, cpo_alpha=0.5, loss_type="hinge", bf16=False
                )
                assert (args.beta, args.cpo_alpha, args.loss_type) == (0.5, 0.5, "hinge")
                assert CPOTrainer.__name__ == "CPOTrainer"

            def test_dpo(self):
                assert DPOConfig(self.tmp_dir, beta=0.5, bf16=False).beta == 0.5

            def test_kto(self):
                args = KTOConfig(self.tmp_dir, desirable_weight=0.5, bf16=False)
                assert args.desirable_weight == 0.5
        ''',
    "examples/scripts/cpo.py": '''
        """Train a model with CPO on a preference dataset."""

        from datasets import load_dataset
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from trl import CPOConfig, CPOTrainer, ModelConfig, ScriptArguments, TrlParser


        if __name__ == "__main__":
            parser = TrlParser((ScriptArguments, CPOConfig, ModelConfig))
            script_args, training_args, model_args = parser.parse_args_and_config()
            model = AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path)
            tokenizer = AutoTokenizer.from_pretrained(model_args.model_name_or_path)
            dataset = load_dataset(script_args.dataset_name)
            trainer = CPOTrainer(
                model,
                args=training_args,
                train_dataset=dataset["train"],
                processing_class=tokenizer,
            )
            trainer.train()
        ''',
}


def build_trl_025_copy(root: Path) -> Path | None:
    """A git repository at ``root`` from TRL 0.25.0's sdist; None when it cannot be fetched
    (offline): the caller skips."""
    return build_release_copy(root, VERSION, DEVELOPING, PROMOTE_SECTION, {**DOCS, **TESTS})
