--[[ purge: removes the ready messages of the queues (never leased or
  scheduled) and records each removed task REVOKED with the reason, waking its
  waiters, in the same step; appends a task-revoked event per task (plain
  event objects, 500 per stream entry, which event-codec.ts decodes as well).
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] reason   ARGV[3] finished-at (ISO)   ARGV[4] result TTL ms
  ARGV[5] event stream cap   ARGV[6..] queues
  Returns: per queue, in the order given: how many it removed, then an id and
  a task name ('' when the body names none) for each.
]]
--@include common
--@include events

local prefix, reason, finishedAt, ttl, cap = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local EVENTS_PER_ENTRY = 500
local events = {}
local function flushEvents()
  if #events > 0 then
    appendEvents(prefix, cap, cjson.encode(events))
    events = {}
  end
end

local out = {}
for i = 6, #ARGV do
  local queue = ARGV[i]
  local ready = queueKey(prefix, queue, 'ready')
  local countAt = #out + 1
  out[countAt] = 0
  local removed = 0
  while true do
    local ids = redis.call('ZRANGE', ready, 0, 999)
    if #ids == 0 then
      break
    end
    for _, id in ipairs(ids) do
      local mkey = prefix .. 'm:' .. id
      local ok, parsed = pcall(cjson.decode, redis.call('HGET', mkey, 'b') or '')
      local task = (ok and type(parsed) == 'table' and type(parsed.task) == 'string') and parsed.task or ''
      redis.call('DEL', mkey)
      storeResult(prefix, id, cjson.encode({ id = id, task = task, queue = queue, state = 'REVOKED', retries = 0,
        error = { name = 'Revoked', message = reason }, finishedAt = finishedAt }), ttl, '1')
      events[#events + 1] = { type = 'task-revoked', at = finishedAt, taskId = id, task = task, queue = queue, data = { reason = reason } }
      out[#out + 1] = id
      out[#out + 1] = task
      if #events >= EVENTS_PER_ENTRY then
        flushEvents()
      end
    end
    redis.call('ZREM', ready, unpack(ids))
    removed = removed + #ids
  end
  out[countAt] = removed
end
flushEvents()
return out
