--[[ ack: removes held deliveries for good (kombu's ack: ZREM unacked_index,
  HDEL unacked), each fenced by its tq token.
  KEYS[1] unacked  KEYS[2] unacked_index  KEYS[3] tq leases  KEYS[4] tq holders
  ARGV pairs: tag, token
  Returns: 1 (acked) or 0 (not ours any more) per pair.
]]
--@include holding

local out = {}
for i = 1, #ARGV, 2 do
  local tag = ARGV[i]
  if holds(KEYS[4], tag, ARGV[i + 1]) then
    forget(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tag)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
