"""A pika client (a second Python client, independent of kombu) against a broker.

Usage: python3 pika_xivo.py AMQP_URL QUEUE_SUFFIX
With publisher confirms on, declares the `xivo` topic exchange, binds a queue
to `calls.call.*`, publishes one call event and one unroutable mandatory
message, gets the call event, nacks it with requeue, gets it again
(redelivered) and acks it. Prints one JSON line describing what it saw.
"""

import json
import sys

import pika


def main() -> int:
    url, suffix = sys.argv[1], sys.argv[2]
    seen = {}
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare("xivo", exchange_type="topic", durable=True)
    queue = f"pika-calls-{suffix}"
    channel.queue_declare(queue, auto_delete=True)
    channel.queue_bind(queue, "xivo", routing_key="calls.call.*")
    properties = pika.BasicProperties(content_type="application/json",
                                      headers={"name": "call_created"})
    body = json.dumps({"name": "call_created", "origin_uuid": "u", "data": {}})
    channel.basic_publish("xivo", "calls.call.created", body, properties, mandatory=True)
    try:
        channel.basic_publish("xivo", "nobody.listens", "{}", mandatory=True)
        seen["unroutable"] = "confirmed"
    except pika.exceptions.UnroutableError:
        seen["unroutable"] = "returned"
    method, props, first = channel.basic_get(queue)
    seen["first"] = {"routing_key": method.routing_key, "redelivered": method.redelivered,
                     "name_header": props.headers.get("name"), "body": json.loads(first)}
    channel.basic_nack(method.delivery_tag, requeue=True)
    method, _, _ = channel.basic_get(queue)
    seen["second_redelivered"] = method.redelivered
    channel.basic_ack(method.delivery_tag)
    seen["remaining"] = channel.queue_declare(queue, passive=True).method.message_count
    connection.close()
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
