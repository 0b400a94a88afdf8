--[[ enqueue: adds messages, each ready or scheduled (eta in the future), and
  records their task-sent events in the same call, so a send is one round trip.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1]  prefix
  ARGV[2]  encoded batch of events to append after the messages ('' = none)
  ARGV[3]  event stream cap (entries kept, approximately)
  ARGV[4..] groups of 5: id, queue, priority (0-9), eta ms (0 = now), body
  Returns: how many were added (an id already in the broker is skipped; one
  given twice in the call is added once).
]]
--@include common
--@include enqueue-one
--@include events

local prefix = ARGV[1]
local now = nowMs()
local added = 0
if #ARGV == 8 then
  added = enqueueOne(prefix, now, prefix .. 'm:' .. ARGV[4], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8])
else
  local mkeys = {}
  for i = 4, #ARGV, 5 do
    mkeys[#mkeys + 1] = prefix .. 'm:' .. ARGV[i]
  end
  local fresh = noneExist(mkeys)
  local batch = newBatch(now)
  reserveSeq(prefix, #mkeys)
  for n, mkey in ipairs(mkeys) do
    local i = n * 5 - 1
    added = added + batchOne(prefix, now, mkey, ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4], batch, fresh)
  end
  flushBatch(prefix, batch)
end
if ARGV[2] ~= '' then
  appendEvents(prefix, ARGV[3], ARGV[2])
end
return added
