function x = randn(varargin)
% Records every randn draw (global ASCMH_DRAWS, a cell in draw order) and returns it unchanged,
% so the authors' code runs as written and its random state can be injected into the port.
% Part of bench/baselines-vs-octave.mjs; shadows the built-in on purpose.
  global ASCMH_DRAWS;
  if nargin > 0 && ischar(varargin{1})  % randn('state', s) and the like
    builtin('randn', varargin{:});
    x = [];
    return;
  end
  x = builtin('randn', varargin{:});
  if iscell(ASCMH_DRAWS)
    ASCMH_DRAWS{end + 1} = x;
  end
end
