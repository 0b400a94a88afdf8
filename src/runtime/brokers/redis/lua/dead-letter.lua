--[[ dead-letter: removes a leased message into its queue's capped dead-letter
  list with the reason and its body: whole up to the message size limit, so
  requeue-dead restores any message that could run exactly; a larger one (never
  runnable here) keeps its first max bytes and a note, and requeue-dead leaves
  it in place. Stores the record if given. Fenced.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] id   ARGV[3] token   ARGV[4] reason
  ARGV[5] result record JSON ('' = none)   ARGV[6] result TTL ms   ARGV[7] '1' when final
  ARGV[8] cap (entries kept per queue)   ARGV[9] body max (bytes kept whole)
  Returns: 1, or -1 when the lease was lost.
]]
--@include common

local prefix, id = ARGV[1], ARGV[2]
local mkey = prefix .. 'm:' .. id
local queue = currentLease(mkey, ARGV[3])
if not queue then
  return -1
end
local body = redis.call('HGET', mkey, 'b')
local max = tonumber(ARGV[9])
if #body > max then
  body = string.sub(body, 1, max) .. '... (' .. (#body - max) .. ' more bytes)'
end
local dead = queueKey(prefix, queue, 'dead')
redis.call('LPUSH', dead, cjson.encode({ id = id, queue = queue, reason = ARGV[4], body = body, deadAt = nowMs() }))
redis.call('LTRIM', dead, 0, tonumber(ARGV[8]) - 1)
redis.call('DEL', mkey)
redis.call('ZREM', queueKey(prefix, queue, 'leased'), id)
storeResult(prefix, id, ARGV[5], ARGV[6], ARGV[7])
return 1
