"""The Kafka bus: relays publish each service's stored log; consumers read it in groups.

- :mod:`hall.bus.relay`: a tracked follower of a service's store that publishes every event to
  ``<prefix>.<service>`` and advances its durable position only after the broker acknowledged.
- :mod:`hall.bus.kafka_source`: topics of a consumer group as an ``EventSource``, so the same
  ``Projector`` runs from Kafka or from the stores.
- :mod:`hall.bus.worker`: projection workers fed from Kafka.
- :mod:`hall.bus.roles`: the ``hall relay`` / ``hall project`` / ``hall supervise`` commands.

Delivery is at least once; effects are exactly once because each consumer tracks, per partition,
the source position (the service's notification id) in the same transaction as its writes.
"""
