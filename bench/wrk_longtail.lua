-- wrk Lua script for the long tail: each request's path is picked at random from a file of
-- paths, one a line, named after `--`:
--   wrk -t2 -c64 -d10s -s bench/wrk_longtail.lua http://127.0.0.1:8000 -- detail.txt
-- Each thread loads the file in init() and draws from its own seeded generator, so a run
-- asks for the same sequence; the figures are reported by wrk_report.lua's done().
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local paths = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no paths in " .. tostring(args[1]))
  end
  math.randomseed(1000 + (id or 0))
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
