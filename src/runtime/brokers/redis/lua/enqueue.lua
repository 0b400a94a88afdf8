--[[ enqueue: adds messages, each ready or scheduled (eta in the future).
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1]  prefix
  ARGV[2..] groups of 5: id, queue, priority (0-9), eta ms (0 = now), body
  Returns: how many were added (an id already in the broker is skipped).
]]
--@include common
--@include enqueue-one

local prefix = ARGV[1]
local now = nowMs()
local added = 0
local touched = {}
for i = 2, #ARGV, 5 do
  added = added + enqueueOne(prefix, now, ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4], touched)
end
announce(prefix, touched)
return added
