"""Bugs the hostile-input suite found, each reproduced by a strict-xfail test."""

TIME_FORMAT_BUG = (
    "the OpenAPI document declares wall-clock times (LstTrigger.at/deadline_at, "
    "ScheduleEntry.default_time/local_time, Override(Request).local_time) as `format: time`, "
    "which JSON Schema/RFC 3339 define with an offset ('07:30:00Z'); the api sends "
    "'07:30:00' (a schema violation for any validating client) and refuses '12:30:00Z' "
    "with 422: pydantic's default schema for datetime.time on the fields at "
    "monstercoach_api/schedule/schemas.py lines 33, 40, 71, 86, 106, 110"
)

NOT_UTF8_BODY_BUG = (
    "a JSON body that is not UTF-8 is answered 400 bad_request ('There was an error "
    "parsing the body', FastAPI's request.json() UnicodeDecodeError path), a status no "
    "operation's OpenAPI responses declare (bytes that decode but do not parse get the "
    "documented 422)"
)
