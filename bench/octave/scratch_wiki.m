function scratch_wiki(datafile, outdir, seed, bits_list)
% SCRATCH on Wiki with the authors' code (train.m, Kernelize.m and the tools, on the path), the
% steps of Main_Wiki.m and evaluate.m; writes, per code length, scratch_<seed>_<bits>.mat with the
% codes, the random draws (recorded by randn.m and randsample.m) and the mAP.
  warning('off', 'all');
  load(datafile);  % wiki_data.mat: I_tr, T_tr, L_tr, I_te, T_te, L_te
  XTrain = I_tr; YTrain = T_tr; LTrain = L_tr;
  XTest = I_te; YTest = T_te; LTest = L_te;
  param.lambdaX = 0.5;
  param.alpha = 500;
  param.Xmu = 1000;
  param.gamma = 5;
  param.iter = 20;
  rand('state', seed); randn('state', seed);
  global ASCMH_DRAWS ASCMH_SAMPLES;
  ASCMH_DRAWS = 0;
  ASCMH_SAMPLES = {};
  t_all = tic;
  % Main_Wiki.m, "centralization" and "kernelization" (its lines, unchanged)
  XTest = bsxfun(@minus, XTest, mean(XTrain, 1)); XTrain = bsxfun(@minus, XTrain, mean(XTrain, 1));
  YTest = bsxfun(@minus, YTest, mean(YTrain, 1)); YTrain = bsxfun(@minus, YTrain, mean(YTrain, 1));
  [XKTrain,XKTest]=Kernelize(XTrain,XTest); [YKTrain,YKTest]=Kernelize(YTrain,YTest);
  XKTest = bsxfun(@minus, XKTest, mean(XKTrain, 1)); XKTrain = bsxfun(@minus, XKTrain, mean(XKTrain, 1));
  YKTest = bsxfun(@minus, YKTest, mean(YKTrain, 1)); YKTrain = bsxfun(@minus, YKTrain, mean(YKTrain, 1));
  kernelSeconds = toc(t_all);
  imageAnchors = ASCMH_SAMPLES{1};
  textAnchors = ASCMH_SAMPLES{2};
  for nbits = bits_list
    param.nbits = nbits;
    ASCMH_DRAWS = {};
    tic;
    [Wx, Wy, R, B] = train(XKTrain, YKTrain, param, LTrain);
    trainSeconds = toc;
    draws = ASCMH_DRAWS;
    ASCMH_DRAWS = 0;
    % evaluate.m's codes (its expressions, unchanged)
    BxTest = double(XKTest*Wx'*R' >= 0);
    ByTest = double(YKTest*Wy'*R' >= 0);
    Bdb = double(B' >= 0);
    [i2t, t2i] = authors_map(BxTest > 0, ByTest > 0, Bdb > 0, LTest, LTrain);
    V0 = draws{1};
    [R0, ~, ~] = svd(draws{4});  % train.m: R = randn(nbits, nbits); [U11, ~, ~] = svd(R); R = U11
    save('-v6', sprintf('%s/scratch_%d_%d.mat', outdir, seed, nbits), 'Bdb', 'BxTest', 'ByTest', 'V0', 'R0', 'Wx', 'Wy', 'R', ...
         'i2t', 't2i', 'trainSeconds', 'kernelSeconds', 'imageAnchors', 'textAnchors');
    printf('SCRATCH seed %d, %d bits: I2T %.4f T2I %.4f, train %.3f s (+ kernel %.3f s)\n', seed, nbits, i2t, t2i, trainSeconds, kernelSeconds);
  end
end
