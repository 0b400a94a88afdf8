--[[ enqueue-unique: claims a unique key and enqueues, both or neither.
  KEYS: none (keys derive from the prefix; the claim is {p}meta:{key})
  ARGV[1] prefix   ARGV[2] unique key   ARGV[3] claim TTL ms
  ARGV[4..8] id, queue, priority, eta ms (0 = now), body
  Returns: 1 when this call claimed the key and enqueued, 0 when it was taken.
]]
--@include common
--@include enqueue-one

local prefix = ARGV[1]
local now = nowMs()
if not redis.call('SET', prefix .. 'meta:' .. ARGV[2], num(now), 'NX', 'PX', ARGV[3]) then
  return 0
end
enqueueOne(prefix, now, prefix .. 'm:' .. ARGV[4], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8])
return 1
