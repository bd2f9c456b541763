function timing_run(method, dir, nbits, repeats)
% Times the authors' code on a dataset written by bench/baselines-speed.mjs (dir: X.bin, Y.bin,
% L.bin as float64 rows, sizes.txt "n dx dy c"): the same steps as batch_wiki.m / scratch_wiki.m
% (kernel features, training, hash functions), `repeats` times; prints one JSON line.
  warning('off', 'all');
  sz = load(fullfile(dir, 'sizes.txt'));
  n = sz(1); dx = sz(2); dy = sz(3); c = sz(4);
  rd = @(name, d) fread(fopen(fullfile(dir, name)), [d, n], 'double')';
  XTrain = rd('X.bin', dx); YTrain = rd('Y.bin', dy); LTrain = rd('L.bin', c);
  XTest = XTrain(1:10, :); YTest = YTrain(1:10, :);
  global ASCMH_DRAWS; ASCMH_DRAWS = 0;
  kernel = zeros(1, repeats); trainT = zeros(1, repeats);
  for rep = 1:repeats
    rand('state', rep); randn('state', rep);
    if strcmp(method, 'batch')
      t0 = tic;
      XAnchors = XTrain(randsample(n, 500), :); YAnchors = YTrain(randsample(n, 1000), :);
      [XKTrain, XKTest] = Kernel_Feature(XTrain, XTest, XAnchors);
      [YKTrain, YKTest] = Kernel_Feature(YTrain, YTest, YAnchors);
      kernel(rep) = toc(t0);
      param.nbits = nbits; param.eta1 = 0.05; param.eta2 = 0.05; param.eta0 = 0.9;
      param.omega = 0.01; param.xi = 0.01; param.max_iter = 6;
      t0 = tic;
      GTrain = NormalizeFea(LTrain, 1);
      B = train_BATCH(GTrain, XKTrain, YKTrain, LTrain, param);
      XW = (XKTrain'*XKTrain+param.xi*eye(size(XKTrain,2)))    \    (XKTrain'*B);
      YW = (YKTrain'*YKTrain+param.xi*eye(size(YKTrain,2)))    \    (YKTrain'*B);
      trainT(rep) = toc(t0);
    else
      t0 = tic;
      Xc = bsxfun(@minus, XTrain, mean(XTrain, 1)); Yc = bsxfun(@minus, YTrain, mean(YTrain, 1));
      [XKTrain, XKTest] = Kernelize(Xc, Xc(1:10, :)); [YKTrain, YKTest] = Kernelize(Yc, Yc(1:10, :));
      XKTrain = bsxfun(@minus, XKTrain, mean(XKTrain, 1)); YKTrain = bsxfun(@minus, YKTrain, mean(YKTrain, 1));
      kernel(rep) = toc(t0);
      param.lambdaX = 0.5; param.alpha = 500; param.Xmu = 1000; param.gamma = 5; param.iter = 20; param.nbits = nbits;
      t0 = tic;
      [Wx, Wy, R, B] = train(XKTrain, YKTrain, param, LTrain);
      trainT(rep) = toc(t0);
    end
  end
  printf('{"method":"%s","n":%d,"bits":%d,"kernel":%s,"train":%s}\n', method, n, nbits, mat2str(kernel), mat2str(trainT));
end
