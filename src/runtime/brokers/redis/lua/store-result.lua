--[[ store-result: stores a task's record with no lease (a backend write: a
  task acked before it ran, a split deployment's STARTED and final records),
  first-wins once final: a record already final is never replaced, so a late
  copy of a task cannot overwrite its outcome. A final record wakes waiters.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] id   ARGV[3] result record JSON   ARGV[4] result TTL ms
  ARGV[5] '1' when final
  Returns: 1 stored, 0 refused (a final record is there).
]]
--@include common
--@include first-wins

local key = ARGV[1] .. 'r:' .. ARGV[2]
if isFinalRecord(redis.call('GET', key)) then
  return 0
end
storeResult(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
