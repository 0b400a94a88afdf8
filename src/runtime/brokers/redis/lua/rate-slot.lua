--[[ rate-slot: a rate limit shared by every worker (GCRA, no burst): starts
  under one key are spaced an interval apart. Claims the next free start time
  when it is at most max-wait away; otherwise claims nothing.
  KEYS: none (the slot lives in {p}meta:rate:{key}: the next free start, ms)
  ARGV[1] prefix   ARGV[2] key   ARGV[3] interval ms   ARGV[4] max wait ms
  Returns: { 1 granted | 0 refused, ms to wait before starting (or the earliest start) }
]]
--@include common

local key = ARGV[1] .. 'meta:rate:' .. ARGV[2]
local interval, maxWait = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = nowMs()
local start = math.max(tonumber(redis.call('GET', key) or '0'), now)
local wait = start - now
if wait > maxWait then
  return { 0, wait }
end
-- Kept a minute past the claimed slot, then forgotten: an idle limit costs nothing.
redis.call('SET', key, num(start + interval), 'PX', num(start + interval - now + 60000))
return { 1, wait }
