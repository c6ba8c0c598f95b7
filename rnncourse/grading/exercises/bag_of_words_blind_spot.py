"""Choice item ``bag_of_words_blind_spot``: which two sentences does a bag of words confuse?

A bag of words counts each word and forgets the order. The right pair uses the same words the
same number of times in a different order, with the opposite meaning; each wrong pair differs
in some count, so its vectors differ. Every wrong option has its own explanation.
"""

from __future__ import annotations

from rnncourse.grading.spec import ValueItem

EXERCISE = ValueItem(
    name="bag_of_words_blind_spot",
    kind="choice",
    question="Which pair of sentences gets the same bag-of-words vector?",
    answer="c",
    options={
        "a": '"the film was good" and "the film was great"',
        "b": '"good" and "not good"',
        "c": '"not bad but good" and "not good but bad"',
        "d": '"very good" and "very very good"',
    },
    explanations={
        "a": '"good" and "great" are different words, so they count in different entries: '
        "the vectors differ (a bag of words does not know they are similar, but that is "
        "another blind spot).",
        "b": 'the entry for "not" is 1 in one sentence and 0 in the other, so the vectors differ.',
        "d": 'a bag of words counts: "very" is 1 in one and 2 in the other, so the vectors differ.',
    },
)
