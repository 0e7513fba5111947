"""hall: the runtime that wires the services, the stores and HTTP together."""
