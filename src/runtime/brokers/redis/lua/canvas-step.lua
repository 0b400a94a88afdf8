--[[ canvas-step: what a finished step's workflow asks, in one atomic step,
  run just before the step's own finish (src/runtime/canvas/step.ts). Every
  part is idempotent, so the same step finished again (a redelivery after a
  crash) changes nothing more: a message is added only when its id is new (no
  message, no result), a record only where no final one is, a chord counts
  distinct indexes (includes/chord.lua), fails once, and its body is added
  with the last count, in this same step.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] result TTL ms   ARGV[3] the results placeholder (JSON)
  then, each list with its count first:
    messages: groups of 5 (id, queue, priority, eta ms, body)
    records: pairs (id, record JSON), first-wins
    metas: pairs (key, value), stored with the TTL
    chord: '' for none, else id, size, index, result JSON ('' = failed),
      the body as 5 fields (its body's first argument is the placeholder),
      then the records and the messages to write when this join fails it
  Returns: the chord state ('complete', 'failed', 'counted', or '').
]]
--@include common
--@include enqueue-one
--@include first-wins
--@include chord

local prefix, ttl, placeholder = ARGV[1], ARGV[2], ARGV[3]
local now = nowMs()
local at = 4

local function take()
  local v = ARGV[at]
  at = at + 1
  return v
end

local function addNew(id, queue, priority, eta, body)
  local mkey = prefix .. 'm:' .. id
  if redis.call('EXISTS', mkey, prefix .. 'r:' .. id) == 0 then
    addOne(prefix, now, mkey, id, queue, tonumber(priority), tonumber(eta), body)
  end
end

local function messages()
  for _ = 1, tonumber(take()) do
    addNew(take(), take(), take(), take(), take())
  end
end

local function records()
  for _ = 1, tonumber(take()) do
    storeFirstWins(prefix, take(), take(), ttl)
  end
end

messages()
records()
for _ = 1, tonumber(take()) do
  redis.call('SET', prefix .. 'meta:' .. take(), take(), 'PX', ttl)
end
local chordId = take()
if chordId == nil or chordId == '' then
  return ''
end
local size, index, resultJson = tonumber(take()), tonumber(take()), take()
local bodyId, bodyQueue, bodyPriority, bodyEta, template = take(), take(), take(), take(), take()
local state, results = joinChord(prefix, chordId, size, index, resultJson, ttl)
if state == 'complete' then
  local s, e = string.find(template, placeholder, 1, true)
  local body = s and (string.sub(template, 1, s - 1) .. '[' .. table.concat(results, ',') .. ']' .. string.sub(template, e + 1)) or template
  addNew(bodyId, bodyQueue, bodyPriority, bodyEta, body)
elseif state == 'failed' then
  records()
  messages()
end
return state
