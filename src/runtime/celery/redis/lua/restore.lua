--[[ restore: what tq workers do for each other and for Python's. Two sweeps:
  1. tq leases that lapsed (a tq worker died holding them): the message goes
     back to its queue's bare list, served next, long before Python's
     visibility timeout would bring it back; a non-kombu element goes to the
     dead letters.
  2. kombu's visibility-timeout restore, done as kombu does it (under
     `unacked_mutex`, RPUSH to the bare list of each bound queue), for
     deliveries of Python workers that died while no Python worker is left
     to restore them. A tq-held delivery is never older than its last extend.
  KEYS[1] unacked  KEYS[2] unacked_index  KEYS[3] tq leases  KEYS[4] tq holders  KEYS[5] unacked_mutex
  ARGV[1] now (epoch ms)  ARGV[2] now - visibility timeout (unix seconds)  ARGV[3] global key prefix
  ARGV[4] dead-letter key prefix  ARGV[5] now (ISO)  ARGV[6] dead-letter cap  ARGV[7] mutex token  ARGV[8] max per sweep
  Returns: [tq leases restored, dead-lettered, visibility restores (-1: another restorer held the mutex)].
]]
--@include holding

local max = tonumber(ARGV[8])
local restored, dead = 0, 0
for _, tag in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, max)) do
  local token, queue, kind, rest = parseHolding(redis.call('HGET', KEYS[4], tag))
  if token then
    local raw = heldRaw(KEYS[1], tag, kind, rest)
    if raw and kind == 'x' then
      local key = ARGV[4] .. queue
      redis.call('LPUSH', key, cjson.encode({ id = '', queue = queue, reason = 'not a Celery message: its worker died before saying why', body = raw, deadAt = ARGV[5] }))
      redis.call('LTRIM', key, 0, tonumber(ARGV[6]) - 1)
      dead = dead + 1
    elseif raw then
      redis.call('RPUSH', ARGV[3] .. queue, raw)
      restored = restored + 1
    end
  end
  -- No raw: Python's restore took it back already, and it is no longer ours.
  forget(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tag)
end

local visible = -1
if redis.call('SET', KEYS[5], ARGV[7], 'PX', 300000, 'NX') then
  visible = 0
  for _, tag in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, max)) do
    local entry = redis.call('HGET', KEYS[1], tag)
    if not entry then
      redis.call('ZREM', KEYS[2], tag) -- acked meanwhile: a stale index entry
    elseif redis.call('HEXISTS', KEYS[4], tag) == 0 then
      -- kombu's entry is json.dumps([message, exchange, routing_key]): cut the message out as it was sent.
      local raw, exchange, rk = string.match(entry, '^%[(.*),%s*"([^"]*)",%s*"([^"]*)"%]$')
      if raw then
        local queues = {}
        if exchange ~= '' then
          for _, b in ipairs(redis.call('SMEMBERS', ARGV[3] .. '_kombu.binding.' .. exchange)) do
            local brk, _, bq = string.match(b, '^(.-)\6\22(.-)\6\22(.*)$')
            if bq and (brk == rk or brk == '') then queues[#queues + 1] = bq end
          end
        end
        -- The anonymous exchange routes by queue name; so does an exchange whose bindings are gone, rather than drop it.
        if #queues == 0 then queues[1] = rk end
        for _, q in ipairs(queues) do redis.call('RPUSH', ARGV[3] .. q, raw) end
        redis.call('HDEL', KEYS[1], tag)
        redis.call('ZREM', KEYS[2], tag)
        visible = visible + 1
      end
      -- An entry that is not kombu's shape stays where it is: never dropped.
    end
  end
  redis.call('DEL', KEYS[5])
end
return { restored, dead, visible }
