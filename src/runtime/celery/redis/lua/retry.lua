--[[ retry: replaces a held delivery by a new message (a retry with retries+1
  and an eta header, a hand-back), in one step: the new one is pushed where
  a producer would push it (LPUSH, the back of its band) and the held one is
  acked. Celery's own retry publishes and then acks, two steps.
  KEYS[1] unacked  KEYS[2] unacked_index  KEYS[3] tq leases  KEYS[4] tq holders  KEYS[5] target band list
  ARGV[1] tag  ARGV[2] token  ARGV[3] the new kombu message
  Returns: 1, or 0 when the delivery is not ours any more (nothing changed).
]]
--@include holding

if not holds(KEYS[4], ARGV[1], ARGV[2]) then return 0 end
forget(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
redis.call('LPUSH', KEYS[5], ARGV[3])
return 1
