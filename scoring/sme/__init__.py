"""The national SME digital-level evaluation (《中小企业数字化水平评测指标（2024年版）》) beside CMMM: the index as
cited data, pure scoring of answers, and answers proposed from measured plant figures (docs/scoring.md,
"SME digital level")."""

from scoring.sme.engine import AnswerError, SmeResult, score_answers
from scoring.sme.model import SmeIndex, load_index, parse_index

__all__ = ["AnswerError", "SmeIndex", "SmeResult", "load_index", "parse_index", "score_answers"]
