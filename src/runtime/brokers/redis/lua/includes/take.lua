-- Reserve's core, shared by reserve.lua and finish.lua (finish + next).

-- Due scheduled messages and lapsed leases of one queue become ready. A lapsed
-- lease loses its token here, so its old holder's late ack is refused from now on.
local function promote(prefix, queue, now)
  for _, kind in ipairs({ 'scheduled', 'leased' }) do
    local key = queueKey(prefix, queue, kind)
    local due = redis.call('ZRANGEBYSCORE', key, '-inf', num(now), 'LIMIT', 0, 1000)
    if #due > 0 then
      local ready = queueKey(prefix, queue, 'ready')
      for _, id in ipairs(due) do
        local mkey = prefix .. 'm:' .. id
        local score = redis.call('HGET', mkey, 's')
        if score then
          redis.call('HSET', mkey, 'st', 'r')
          redis.call('HDEL', mkey, 'h', 't', 'a', 'd')
          redis.call('ZADD', ready, score, id)
        end
      end
      redis.call('ZREM', key, unpack(due))
    end
  end
end

-- Leases up to `max` ready messages, queues in the order given, and appends
-- id, queue, body, token, deliveries for each to `out`. Returns how many.
local function take(prefix, queues, holder, leaseMs, max, tokenBase, now, out)
  local deadline = num(now + leaseMs)
  local at = num(now)
  local taken = 0
  for _, queue in ipairs(queues) do
    if taken >= max then
      break
    end
    promote(prefix, queue, now)
    local ready = queueKey(prefix, queue, 'ready')
    local leased = queueKey(prefix, queue, 'leased')
    local want = max - taken
    local popped = redis.call('ZPOPMIN', ready, want)
    -- Two calls per message, the lease deadlines in one ZADD for all (every
    -- redis.call costs about as much as the work it does).
    -- The anchor first: Redis picks a new key's form by its first member.
    local leases = { 'inf', LEASED_ANCHOR }
    for i = 1, #popped, 2 do
      local id = popped[i]
      local mkey = prefix .. 'm:' .. id
      local f = redis.call('HMGET', mkey, 'b', 'n')
      if f[1] then
        taken = taken + 1
        local token = tokenBase .. taken
        local n = (tonumber(f[2]) or 0) + 1
        redis.call('HSET', mkey, 'st', 'l', 'h', holder, 't', token, 'a', at, 'd', deadline, 'n', n)
        leases[#leases + 1] = deadline
        leases[#leases + 1] = id
        out[#out + 1] = id
        out[#out + 1] = queue
        out[#out + 1] = f[1]
        out[#out + 1] = token
        out[#out + 1] = n
      end
    end
    if #leases > 2 then
      callSliced('ZADD', leases, leased)
    end
    -- More left than we took: pass the wake-up on to the next idle worker.
    if #popped == want * 2 and redis.call('EXISTS', ready) == 1 then
      mark(prefix, queue)
    end
  end
  return taken
end

-- Milliseconds until the next scheduled message or lease deadline of the
-- queues (0 when one is already due), or -1 when there is none: how long an
-- idle worker may block before it must look again.
local function nextWake(prefix, queues, now)
  local best = -1
  for _, queue in ipairs(queues) do
    for _, kind in ipairs({ 'scheduled', 'leased' }) do
      local first = redis.call('ZRANGE', queueKey(prefix, queue, kind), 0, 0, 'WITHSCORES')
      if first[2] and first[1] ~= LEASED_ANCHOR then
        local wait = math.max(0, tonumber(first[2]) - now)
        if best < 0 or wait < best then
          best = wait
        end
      end
    end
  end
  return best
end

-- ARGV[first..]: holder, lease ms, token base, queues... (what every taking
-- script ends with). Returns them as holder, leaseMs, tokenBase, queues.
local function leaseArgs(first)
  local queues = {}
  for i = first + 3, #ARGV do
    queues[#queues + 1] = ARGV[i]
  end
  return ARGV[first], tonumber(ARGV[first + 1]), ARGV[first + 2], queues
end
