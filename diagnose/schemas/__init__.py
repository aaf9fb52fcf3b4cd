"""Request and response models (pydantic) shared by the API, the forms' validation and the CLI.

One module per entity; field titles are Chinese so messages can be shown as they are; money is integer fen
with its limits told in yuan. `errors.FieldError` is the one error type for bad input.
"""

from diagnose.schemas.errors import ErrorOut, FieldError, FieldMessage, field_errors, validate

__all__ = ["ErrorOut", "FieldError", "FieldMessage", "field_errors", "validate"]
