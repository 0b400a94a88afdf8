--[[ enqueue: adds messages, each ready or scheduled (eta in the future), and
  records their task-sent events in the same call, so a send is one round trip.
  An id the broker already knows is not added: its message is queued,
  scheduled or leased, or a result is stored under it ({p}r:{id}); nor is the
  second copy of an id given twice in the call. A message already queued with
  exactly this body is the same send repeated (ioredis resends a call whose
  reply a dropped connection lost): nothing is added, nothing reported.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1]  prefix
  ARGV[2]  encoded batch of events to append after the messages ('' = none)
  ARGV[3]  event stream cap (entries kept, approximately)
  ARGV[4..] groups of 5: id, queue, priority (0-9), eta ms (0 = now), body
  Returns: the ids not added, in the order given ({} when all were added).
  A single message not added appends no events.
]]
--@include common
--@include enqueue-one
--@include events

local prefix = ARGV[1]
local now = nowMs()

-- 'free' when neither a message nor a result has the id, 'same' when its
-- message holds this very body, else 'taken'.
local function presence(mkey, id, body)
  if redis.call('EXISTS', mkey, prefix .. 'r:' .. id) == 0 then
    return 'free'
  end
  if redis.call('HGET', mkey, 'b') == body then
    return 'same'
  end
  return 'taken'
end

local skipped = {}
if #ARGV == 8 then
  local mkey = prefix .. 'm:' .. ARGV[4]
  local found = presence(mkey, ARGV[4], ARGV[8])
  if found == 'taken' then
    return { ARGV[4] }
  elseif found == 'same' then
    return skipped -- its events went out with the first copy
  end
  addOne(prefix, now, mkey, ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8])
else
  -- One EXISTS for the whole batch, messages and results, in the usual case of all-new ids.
  local mkeys, known = {}, {}
  for i = 4, #ARGV, 5 do
    mkeys[#mkeys + 1] = prefix .. 'm:' .. ARGV[i]
    known[#known + 1] = mkeys[#mkeys]
    known[#known + 1] = prefix .. 'r:' .. ARGV[i]
  end
  local fresh = noneExist(known)
  local batch = newBatch(now)
  reserveSeq(prefix, #mkeys)
  for n, mkey in ipairs(mkeys) do
    local i = n * 5 - 1
    local id = ARGV[i]
    local found = batch.ids[id] and 'taken' or (fresh and 'free') or presence(mkey, id, ARGV[i + 4])
    if found == 'free' then
      batchOne(prefix, now, mkey, id, ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4], batch, true)
    elseif found == 'same' then
      batch.ids[id] = true
    else
      skipped[#skipped + 1] = id
    end
  end
  flushBatch(prefix, batch)
end
if ARGV[2] ~= '' then
  appendEvents(prefix, ARGV[3], ARGV[2])
end
return skipped
