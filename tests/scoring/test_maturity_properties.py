"""Property tests of maturity scoring: monotone, all-met = 5.0, tailoring is local, hash reproduces."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.maturity import Answer, Assessment, load_model, parse_assessment, score

MODEL = load_model()
IDS = [r.id for r in MODEL.requirements]
VALUES = [Fraction(1), Fraction(4, 5), Fraction(1, 2), Fraction(0)]
# None = tailored out; "skip" = unanswered (counts as 0).
CHOICES = st.sampled_from([*VALUES, None, "skip"])


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    industry = draw(st.sampled_from(["discrete", "process"]))
    picks = draw(st.lists(CHOICES, min_size=len(IDS), max_size=len(IDS)))
    return Assessment(
        industry,
        tuple(
            Answer(rid, v, "why" if v is None else "")
            for rid, v in zip(IDS, picks, strict=True)
            if v != "skip"
        ),
    )


@settings(max_examples=40, deadline=None)
@given(assessments(), st.sampled_from(IDS), st.data())
def test_score_is_monotone_in_every_rating(assessment: Assessment, rid: str, data: st.DataObject) -> None:
    current = assessment.answer(rid)
    low = Fraction(0) if current is None or current.rating is None else current.rating
    higher = data.draw(st.sampled_from([v for v in VALUES if v >= low]))
    before = score(assessment.with_ratings({rid: low}), MODEL)
    after = score(assessment.with_ratings({rid: higher}), MODEL)
    assert after.score >= before.score
    assert after.level >= before.level
    assert all(a >= b for a, b in zip(after.level_scores, before.level_scores, strict=True))


def test_all_met_gives_5() -> None:
    for industry in ("discrete", "process"):
        result = score(Assessment(industry, tuple(Answer(rid, Fraction(1)) for rid in IDS)), MODEL)
        assert result.score == 5 and result.level == 5 and result.to_dict()["score"] == 5.0


@settings(max_examples=40, deadline=None)
@given(assessments(), st.sampled_from(IDS))
def test_tailoring_never_changes_another_subdomain(assessment: Assessment, rid: str) -> None:
    own_sub = MODEL.requirement(rid).subdomain
    before = score(assessment, MODEL)
    after = score(assessment.with_ratings({rid: None}), MODEL)
    for node in before.subdomains:
        if node.id != own_sub:
            assert after.subdomain(node.id).by_level == node.by_level


@settings(max_examples=30, deadline=None)
@given(assessments())
def test_result_is_reproducible_from_its_inputs_and_hash(assessment: Assessment) -> None:
    first = score(assessment, MODEL)
    replayed = score(parse_assessment(assessment.to_dict(), MODEL), MODEL)
    assert replayed.input_hash == first.input_hash
    assert replayed.to_dict() == first.to_dict()


@settings(max_examples=30, deadline=None)
@given(assessments(), st.sampled_from(IDS))
def test_a_changed_answer_changes_the_hash(assessment: Assessment, rid: str) -> None:
    current = assessment.answer(rid)
    new = Fraction(0) if current is not None and current.rating == 1 else Fraction(1)
    assert score(assessment.with_ratings({rid: new}), MODEL).input_hash != score(assessment, MODEL).input_hash
