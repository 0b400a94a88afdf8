--[[ store-meta: writes a task's Celery result meta as Celery's Redis backend
  does (SET with the results' expiry, then PUBLISH the same bytes on a channel
  of the key's name, which Python's AsyncResult.get() listens on), first-wins
  once final: a meta whose status is SUCCESS, FAILURE or REVOKED is never
  overwritten (Celery itself only guards SUCCESS).
  KEYS[1] celery-task-meta-<id>
  ARGV[1] meta JSON  ARGV[2] expiry in ms (0: none)  ARGV[3] '1': only if absent (PENDING)
  Returns: 1 written, 0 refused.
]]

local old = redis.call('GET', KEYS[1])
if old then
  if ARGV[3] == '1' then return 0 end
  local ok, meta = pcall(cjson.decode, old)
  if ok and type(meta) == 'table' and (meta.status == 'SUCCESS' or meta.status == 'FAILURE' or meta.status == 'REVOKED') then
    return 0
  end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
