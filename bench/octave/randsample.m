function idx = randsample(n, k)
% randsample(n, k) for an integer n: k distinct indices from 1..n, uniformly, as a column (what
% the statistics package's randsample returns for this call), recorded in global ASCMH_SAMPLES.
% Part of bench/baselines-vs-octave.mjs: the drivers need no toolbox, and the anchors drawn
% inside the authors' Kernelize.m can be injected into the port.
  global ASCMH_SAMPLES;
  idx = randperm(n, k)';
  if ~iscell(ASCMH_SAMPLES)
    ASCMH_SAMPLES = {};
  end
  ASCMH_SAMPLES{end + 1} = idx;
end
