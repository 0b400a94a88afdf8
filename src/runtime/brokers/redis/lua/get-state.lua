--[[ get-state: what the backend knows about one task id, read atomically.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] id
  Returns: { 'result', record JSON } when a result is stored; else
  { 'message', state, queue, holder, leased-at ms, enqueued ms, eta ms, body }
  with state STARTED (lease still running) or PENDING; else {}.
]]
--@include common

local prefix, id = ARGV[1], ARGV[2]
local record = redis.call('GET', prefix .. 'r:' .. id)
if record then
  return { 'result', record }
end
local m = redis.call('HMGET', prefix .. 'm:' .. id, 'st', 'q', 'h', 'a', 'e', 'd', 'b')
if not m[7] then -- every message has a body; 'st' may be absent (a ready one)
  return {}
end
local now = nowMs()
local state, holder, leasedAt, eta = 'PENDING', '', '', ''
if m[1] == 'l' and tonumber(m[6]) > now then
  state, holder, leasedAt = 'STARTED', m[3], m[4]
elseif m[1] == 's' then
  eta = redis.call('ZSCORE', queueKey(prefix, m[2], 'scheduled'), id) or ''
end
return { 'message', state, m[2], holder, leasedAt, m[5], eta, m[7] }
