--[[ dead-letter: moves a held delivery to tq's capped dead letters of its
  queue with the reason and the raw message, fenced by the token.
  KEYS[1] unacked  KEYS[2] unacked_index  KEYS[3] tq leases  KEYS[4] tq holders
  ARGV[1] tag  ARGV[2] token  ARGV[3] dead-letter key prefix  ARGV[4] id
  ARGV[5] reason  ARGV[6] now (ISO)  ARGV[7] cap
  Returns: 1, or 0 when the delivery is not ours any more.
]]
--@include holding

local token, queue, kind, rest = parseHolding(redis.call('HGET', KEYS[4], ARGV[1]))
if token ~= ARGV[2] then return 0 end
local raw = heldRaw(KEYS[1], ARGV[1], kind, rest)
forget(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
if raw then
  local dead = ARGV[3] .. queue
  redis.call('LPUSH', dead, cjson.encode({ id = ARGV[4], queue = queue, reason = ARGV[5], body = raw, deadAt = ARGV[6] }))
  redis.call('LTRIM', dead, 0, tonumber(ARGV[7]) - 1)
end
return 1
