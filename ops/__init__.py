"""Operations: health and readiness for load balancers, Prometheus metrics, the heartbeat that
proves beat and a worker are alive. The top floor beside seatmgr: it reads every floor, none
reads it."""
