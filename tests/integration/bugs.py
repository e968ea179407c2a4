"""Bugs the fault suite found, each reproduced by a strict-xfail test that names it.

When one is fixed its test passes, strict xfail turns that into a failure, and the
marker comes off.
"""

ORDER_BUG = (
    "a message whose prerequisite is still pending in a dead consumer is dead-lettered as "
    "permanent (unknown client / unknown job-card item) instead of retried: "
    "monstercoach_api/ingest/repository.py require_clients and mark_items, "
    "monstercoach_scheduler/answers.py apply"
)

TRIM_RACE_BUG = (
    "monstercoach_kit/bus.py StreamBus.trim_safely: XPENDING's summary has min=None when "
    "another group acknowledged its last pending entry after XINFO GROUPS said it had some; "
    "_parse_id(None) raises AttributeError, which Consumer.run does not catch: the consumer "
    "task dies (the scheduler keeps running without its ledger consumer, the api without "
    "ingestion, the bot and flag worker exit)"
)

NOT_UTF8_BUG = (
    "StreamBus.dead_letters (monstercoach_kit/bus.py, _dead_letter -> _text) decodes every "
    "field as UTF-8 and raises UnicodeDecodeError on a dead letter whose data is not: "
    "GET /system/dead-letters answers 500 and `monstercoach dead-letters list` crashes "
    "for every dead letter once one such message was dead-lettered"
)

MISSED_BUT_DELIVERED_BUG = (
    "monstercoach_bot/delivery.py Deliverer._send_with_retries: after the last attempt "
    "times out it records the delivery missed ('gave up after N attempts; last error: no "
    "answer within Ns'), but a timed-out request may have been completed by Discord: the "
    "client has the DM while the api's deliveries row and the scheduler's ledger "
    "('undeliverable: ...') say it was never delivered"
)
