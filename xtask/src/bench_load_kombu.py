"""The Python baseline of `cargo xtask bench load`: kombu, the library Wazo's
daemons publish with, publishing a fixed 400-byte body on a topic exchange
with the same confirm setting as the other publishers.

Usage: bench_load_kombu.py URL EXCHANGE MESSAGES on|off
Prints one line: published=N seconds=S rate=R cpu_s=C
"""

import sys
import time

import kombu


def main() -> None:
    url, exchange_name, messages, confirm = sys.argv[1:5]
    messages = int(messages)
    connection = kombu.Connection(
        url, transport_options={"confirm_publish": confirm == "on"}
    )
    exchange = kombu.Exchange(exchange_name, type="topic", durable=True)
    producer = kombu.Producer(connection.channel(), exchange=exchange)
    exchange.declare(channel=producer.channel)
    body = b"x" * 400
    cpu_started = time.process_time()
    started = time.perf_counter()
    for _ in range(messages):
        producer.publish(
            body,
            routing_key="calls.call.created",
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=1,
            retry=False,
        )
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    connection.release()
    print(
        f"published={messages} seconds={seconds:.3f} "
        f"rate={messages / seconds:.0f} cpu_s={cpu:.3f}"
    )


if __name__ == "__main__":
    main()
