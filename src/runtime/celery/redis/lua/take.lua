--[[ take: pops up to ARGV[2] messages, band by band in the order given, and
  records each as unacked in the same step (kombu's `unacked` hash and
  `unacked_index` zset, so Python Celery's visibility-timeout restore sees
  them), plus tq's lease on it. kombu pops with BRPOP and writes `unacked`
  afterwards, so a crash in between loses the message; here nothing is ever
  only in a worker's memory.
  A list element that is not a kombu message (not JSON, no headers or
  properties, no delivery_tag) never enters `unacked`, where it would break
  Python's restore: it is held in tq's holders hash alone, for the worker to
  dead-letter (or tq's restore, should the worker die first).
  KEYS[1] unacked  KEYS[2] unacked_index  KEYS[3] tq leases (zset tag -> deadline ms)
  KEYS[4] tq holders (hash tag -> holding, see includes/holding.lua)  KEYS[5..] band lists
  ARGV[1] now (unix seconds)  ARGV[2] max  ARGV[3] lease deadline (epoch ms)
  ARGV[4] token base  ARGV[5..] the queue of each band list, in KEYS order
  Returns: flat [queue, tag, token, kind ('v' valid | 'x' not a kombu message), raw] per message.
]]
--@include holding

local out = {}
local taken = 0
local max = tonumber(ARGV[2])
for k = 5, #KEYS do
  local queue = ARGV[k + 1]
  while taken < max do
    local raw = redis.call('RPOP', KEYS[k])
    if not raw then break end
    taken = taken + 1
    local token = ARGV[4] .. ':' .. taken
    local ok, msg = pcall(cjson.decode, raw)
    local valid = ok and type(msg) == 'table' and type(msg.headers) == 'table' and type(msg.properties) == 'table'
      and type(msg.properties.delivery_tag) == 'string' and msg.properties.delivery_tag ~= ''
    if valid then
      local tag = msg.properties.delivery_tag
      if redis.call('HEXISTS', KEYS[1], tag) == 1 then
        -- Another message is unacked under this tag (a producer that reuses tags): give this copy a tag of its own.
        local fresh = tag .. '.' .. token
        raw = replaceLast(raw, '"' .. tag .. '"', '"' .. fresh .. '"')
        tag = fresh
      end
      local info = msg.properties.delivery_info
      local exchange, rk = '', queue
      if type(info) == 'table' then
        if type(info.exchange) == 'string' then exchange = info.exchange end
        if type(info.routing_key) == 'string' then rk = info.routing_key end
      end
      redis.call('HSET', KEYS[1], tag, '[' .. raw .. ', ' .. cjson.encode(exchange) .. ', ' .. cjson.encode(rk) .. ']')
      redis.call('ZADD', KEYS[2], ARGV[1], tag)
      redis.call('ZADD', KEYS[3], ARGV[3], tag)
      redis.call('HSET', KEYS[4], tag, holding(token, queue, 'v', tostring(#raw)))
      out[#out + 1] = queue; out[#out + 1] = tag; out[#out + 1] = token; out[#out + 1] = 'v'; out[#out + 1] = raw
    else
      local tag = 'tq-bad.' .. token
      redis.call('ZADD', KEYS[3], ARGV[3], tag)
      redis.call('HSET', KEYS[4], tag, holding(token, queue, 'x', raw))
      out[#out + 1] = queue; out[#out + 1] = tag; out[#out + 1] = token; out[#out + 1] = 'x'; out[#out + 1] = raw
    end
  end
end
return out
