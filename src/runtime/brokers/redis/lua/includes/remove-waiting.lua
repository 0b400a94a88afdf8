-- Deletes message `id` when it waits (ready or scheduled): returns its queue
-- and body, or nil when it is leased, gone or unknown.
local function removeWaiting(prefix, id)
  local mkey = prefix .. 'm:' .. id
  local m = redis.call('HMGET', mkey, 'st', 'q', 'b')
  -- Ready: 'st' absent (as an enqueue leaves it) or 'r' (as release, retry and promotion set it).
  local ready = m[3] and (not m[1] or m[1] == 'r')
  if not ready and m[1] ~= 's' then
    return nil
  end
  redis.call('ZREM', queueKey(prefix, m[2], ready and 'ready' or 'scheduled'), id)
  redis.call('DEL', mkey)
  return m[2], m[3]
end
