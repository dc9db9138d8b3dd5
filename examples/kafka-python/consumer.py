# consumer.py: the product's example, unchanged: group `ichpan`, reading from earliest.
import json
from kafka import KafkaConsumer
import config

# The first argument is the topic's name.
# bootstrap_servers: the Kafka server
# group_id: the group this consumer belongs to (optional)
# auto_offset_reset: earliest starts from the committed offset, or from the beginning when none is committed.
consumer = KafkaConsumer(
    config.TOPIC,
    bootstrap_servers=config.SERVER,
    api_version=(0, 11, 5),
    group_id="ichpan",
    auto_offset_reset='earliest'
)
for msg in consumer:
    print(json.loads(msg.value))
