--[[ release: hands held deliveries back unchanged, served next (RPUSH to the
  queue's bare list, as kombu's restore does), each fenced by its token. A
  non-kombu element goes back too: only a worker that dead-letters it says why.
  KEYS[1] unacked  KEYS[2] unacked_index  KEYS[3] tq leases  KEYS[4] tq holders
  ARGV[1] global key prefix  ARGV pairs from 2: tag, token
  Returns: how many were handed back.
]]
--@include holding

local released = 0
for i = 2, #ARGV, 2 do
  local tag = ARGV[i]
  local token, queue, kind, rest = parseHolding(redis.call('HGET', KEYS[4], tag))
  if token == ARGV[i + 1] then
    local raw = heldRaw(KEYS[1], tag, kind, rest)
    forget(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tag)
    if raw then
      redis.call('RPUSH', ARGV[1] .. queue, raw)
      released = released + 1
    end
  end
end
return released
