--[[ store-result: stores a record with no lease (a task acked before it ran),
  and wakes result waiters when it is final.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] id   ARGV[3] result record JSON   ARGV[4] result TTL ms
  ARGV[5] '1' when final
  Returns: 1.
]]
--@include common

storeResult(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
