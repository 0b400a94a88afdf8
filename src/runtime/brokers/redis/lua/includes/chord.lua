-- Chord counters (see src/runtime/canvas/step.ts). {p}chord:{id} is a hash
-- from a header member's index to its result (JSON), so a member delivered
-- twice counts once; {p}chord:{id}:failed is set by the first failing
-- member. Both expire with the results.

-- Counts member `index` with its result (resultJson ~= ''), or fails the
-- chord (resultJson == ''). Returns 'complete' and the results in index order
-- (JSON texts) once every index in 0..size-1 joined, 'failed' for the call that
-- failed the chord, else 'counted' (a repeat, a member after the chord failed,
-- or not the last).
local function joinChord(prefix, id, size, index, resultJson, ttl)
  local key = prefix .. 'chord:' .. id
  local failedKey = key .. ':failed'
  if resultJson == '' then
    if redis.call('SET', failedKey, '1', 'NX', 'PX', ttl) then
      return 'failed'
    end
    return 'counted'
  end
  redis.call('HSETNX', key, tostring(index), resultJson)
  redis.call('PEXPIRE', key, ttl)
  if redis.call('EXISTS', failedKey) == 1 or redis.call('HLEN', key) < size then
    return 'counted'
  end
  local flat = redis.call('HGETALL', key)
  local byIndex = {}
  for i = 1, #flat, 2 do
    byIndex[flat[i]] = flat[i + 1]
  end
  local results = {}
  for i = 0, size - 1 do
    results[i + 1] = byIndex[tostring(i)] or 'null'
  end
  return 'complete', results
end
