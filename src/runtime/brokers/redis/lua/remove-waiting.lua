--[[ remove-waiting: takes these ids' messages out of their queues while they
  still wait (ready or scheduled), writing nothing else: the caller records
  them (a split deployment's backend). Leased messages are left alone.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2..] ids
  Returns: the ids removed.
]]
--@include common
--@include remove-waiting

local removed = {}
for i = 2, #ARGV do
  if removeWaiting(ARGV[1], ARGV[i]) then
    removed[#removed + 1] = ARGV[i]
  end
end
return removed
