"""The built-in text the kit's tokenizer learns from and its datasets are made of.

Plain data, no imports: the Zen of Python (public domain, PEP 20), as in TRL's
``trl-internal-testing/zen`` datasets, plus a few short sentences so the tokenizer sees
ordinary words, digits and punctuation.
"""

from __future__ import annotations

#: (prompt, good completion, bad completion): one row per aphorism of PEP 20.
ZEN: tuple[tuple[str, str, str], ...] = (
    ("Beautiful is better than", " ugly.", " the moon."),
    ("Explicit is", " better than implicit.", " worse than nothing."),
    ("Simple is better", " than complex.", " than the sky."),
    ("Complex is better", " than complicated.", " than a banana."),
    ("Flat is better", " than nested.", " than round cake."),
    ("Sparse is better", " than dense.", " than a forest."),
    ("Readability", " counts.", " is optional."),
    ("Special cases aren't special enough", " to break the rules.", " to eat soup."),
    ("Although practicality", " beats purity.", " loses the game."),
    ("Errors should never", " pass silently.", " be read aloud."),
    ("Unless explicitly", " silenced.", " painted blue."),
    ("In the face of ambiguity,", " refuse the temptation to guess.", " flip a coin."),
    ("There should be one", " -- and preferably only one -- obvious way to do it.",
     " thousand ways to do it."),
    ("Although that way may not be obvious at first", " unless you're Dutch.",
     " if you close your eyes."),
    ("Now is", " better than never.", " the time for lunch."),
    ("Although never is often better than", " *right* now.", " yesterday."),
    ("If the implementation is hard to explain,", " it's a bad idea.", " it's magic."),
    ("If the implementation is easy to explain,", " it may be a good idea.",
     " nobody reads it."),
    ("Namespaces are one honking great idea --", " let's do more of those!",
     " let's delete them all!"),
)

#: Extra sentences for the tokenizer: digits, punctuation, chat words.
EXTRA: tuple[str, ...] = (
    "The quick brown fox jumps over the lazy dog.",
    "What is 2 + 2? The answer is 4. And 10 * 3 = 30; 7 - 5 = 2.",
    "You are a helpful assistant. Answer the question of the user.",
    "system user assistant: Hello! How are you today? I am fine, thank you.",
    "Python code: def f(x): return [x, {'a': 1}] # (comment) <tag> \"quote\"",
    "A model learns from data; a reward scores the completion of a prompt.",
)
