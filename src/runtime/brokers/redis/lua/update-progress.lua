--[[ update-progress: stores a non-final record for a leased task. Fenced.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] id   ARGV[3] token
  ARGV[4] result record JSON   ARGV[5] result TTL ms
  Returns: 1, or -1 when the lease was lost.
]]
--@include common

local prefix, id = ARGV[1], ARGV[2]
if not currentLease(prefix .. 'm:' .. id, ARGV[3]) then
  return -1
end
storeResult(prefix, id, ARGV[4], ARGV[5], '0')
return 1
