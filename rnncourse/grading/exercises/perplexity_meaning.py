"""Choice item ``perplexity_meaning``: what a perplexity of 4 says about a character model.

Perplexity is 2 ** (bits per character): as uncertain, on average, as a uniform choice among
that many characters. The wrong options are the usual misreadings (accuracy, bits, a ratio to
the uniform model). Every wrong option has its own explanation.
"""

from __future__ import annotations

from rnncourse.grading.spec import ValueItem

EXERCISE = ValueItem(
    name="perplexity_meaning",
    kind="choice",
    question="Validation perplexity 4.0, vocabulary of 65 characters: what does it mean?",
    answer="a",
    options={
        "a": "on average it is as uncertain as a uniform choice among 4 characters",
        "b": "it predicts the next character right once in 4 times",
        "c": "it needs 4 bits per character",
        "d": "it is 4 times worse than guessing uniformly among the 65 characters",
    },
    explanations={
        "b": "perplexity comes from the probability given to the right character, not from "
        "how often the top guess is right: the accuracy is not fixed by it.",
        "c": "bits per character is log2 of the perplexity: log2(4) = 2 bits, not 4.",
        "d": "guessing uniformly among 65 characters has perplexity 65; 4 is far better "
        "than that, not worse.",
    },
)
