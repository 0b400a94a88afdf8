--[[ extend: keeps held deliveries held: tq's lease deadline moves on, and so
  does the delivery time in unacked_index, so Python's visibility-timeout
  restore leaves a task that runs long (or waits for its eta) alone.
  KEYS[1] unacked_index  KEYS[2] tq leases  KEYS[3] tq holders
  ARGV[1] now (unix seconds)  ARGV[2] lease deadline (epoch ms)  ARGV pairs from 3: tag, token
  Returns: the 1-based positions of the pairs no longer held.
]]
--@include holding

local lost = {}
local n = 0
for i = 3, #ARGV, 2 do
  n = n + 1
  local tag = ARGV[i]
  local token, _, kind = parseHolding(redis.call('HGET', KEYS[3], tag))
  if token == ARGV[i + 1] then
    redis.call('ZADD', KEYS[2], ARGV[2], tag)
    if kind == 'v' then redis.call('ZADD', KEYS[1], 'XX', ARGV[1], tag) end
  else
    lost[#lost + 1] = n
  end
end
return lost
