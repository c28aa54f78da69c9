"""A kombu client (the one in Wazo's bus documentation) against a broker.

Usage: python3 kombu_xivo.py AMQP_URL QUEUE_SUFFIX
Declares the `xivo` topic exchange, binds a queue to `calls.*`, publishes a
call event and an unrelated one, receives and acks, and prints one JSON line
describing what it saw. Exit code 0 when it saw exactly the call event.
"""

import json
import sys

from kombu import Connection, Exchange, Queue


def main() -> int:
    url, suffix = sys.argv[1], sys.argv[2]
    exchange = Exchange("xivo", type="topic", durable=True)
    queue = Queue(f"kombu-calls-{suffix}", exchange=exchange, routing_key="calls.*", durable=False,
                  auto_delete=False)
    received = []
    with Connection(url) as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()
        producer = connection.Producer(channel)
        event = {"name": "call_created", "origin_uuid": "u", "data": {"call_id": "1"}}
        producer.publish(event, exchange=exchange, routing_key="calls.call_created", serializer="json",
                         headers={"name": "call_created"})
        producer.publish({"name": "user_created"}, exchange=exchange, routing_key="users.created",
                         serializer="json")

        def on_message(body, message):
            received.append({"body": body, "routing_key": message.delivery_info["routing_key"],
                             "content_type": message.content_type,
                             "name_header": message.headers.get("name")})
            message.ack()

        with connection.Consumer(bound, callbacks=[on_message]):
            connection.drain_events(timeout=5)
        remaining = bound.queue_declare(passive=True).message_count
        bound.delete()
    print(json.dumps({"received": received, "remaining": remaining}))
    return 0 if len(received) == 1 and remaining == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
