--[[ enqueue: adds messages, each ready or scheduled (eta in the future), and
  records their task-sent events in the same call, so a send is one round trip.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1]  prefix
  ARGV[2]  encoded batch of events to append after the messages ('' = none)
  ARGV[3]  event stream cap (entries kept, approximately)
  ARGV[4..] groups of 5: id, queue, priority (0-9), eta ms (0 = now), body
  Returns: how many were added (an id already in the broker is skipped).
]]
--@include common
--@include enqueue-one
--@include events

local prefix = ARGV[1]
local now = nowMs()
local added = 0
local touched = {}
reserveSeq(prefix, (#ARGV - 3) / 5)
for i = 4, #ARGV, 5 do
  added = added + enqueueOne(prefix, now, ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4], touched)
end
announce(prefix, touched)
if ARGV[2] ~= '' then
  appendEvents(prefix, ARGV[3], ARGV[2])
end
return added
