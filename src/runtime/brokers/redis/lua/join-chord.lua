--[[ join-chord: a chord header member's join, for a deployment whose broker is
  elsewhere (the worker sends the body itself): see includes/chord.lua.
  KEYS: none (keys derive from the prefix)
  ARGV[1] prefix   ARGV[2] chord id   ARGV[3] size   ARGV[4] index
  ARGV[5] the member's result JSON ('' when it failed)   ARGV[6] TTL ms
  Returns: { 'complete', result JSON... } | { 'failed' } | { 'counted' }.
  'complete' is returned to every join once the chord is complete, so a
  member delivered again after a crash sends the body again (its id is
  frozen: one copy where the broker knows ids).
]]
--@include chord

local state, results = joinChord(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6])
local out = { state }
if results then
  for i = 1, #results do
    out[#out + 1] = results[i]
  end
end
return out
