function batch_wiki(datafile, outdir, seed, bits_list)
% BATCH on Wiki with the authors' code (train_BATCH.m, Kernel_Feature.m, NormalizeFea.m and the
% tools, on the path), the steps of main_demo.m and evaluate_BATCH.m; writes, per code length,
% batch_<seed>_<bits>.mat with the codes, the random draws (recorded by randn.m) and the mAP.
  warning('off', 'all');
  load(datafile);  % I_tr, T_tr, L_tr, I_te, T_te, L_te
  XTrain = I_tr; YTrain = T_tr; LTrain = L_tr;
  XTest = I_te; YTest = T_te; LTest = L_te;
  rand('state', seed); randn('state', seed);
  global ASCMH_DRAWS;
  ASCMH_DRAWS = 0;  % not recording
  t_all = tic;
  % main_demo.m, "Kernel representation"
  param.nXanchors = 500; param.nYanchors = 1000;
  anchor_idx = randsample(size(XTrain,1), param.nXanchors);
  XAnchors = XTrain(anchor_idx,:);
  imageAnchors = anchor_idx;
  anchor_idx = randsample(size(YTrain,1), param.nYanchors);
  YAnchors = YTrain(anchor_idx,:);
  textAnchors = anchor_idx;
  [XKTrain,XKTest]=Kernel_Feature(XTrain,XTest,XAnchors);
  [YKTrain,YKTest]=Kernel_Feature(YTrain,YTest,YAnchors);
  kernelSeconds = toc(t_all);
  for nbits = bits_list
    param.nbits = nbits;
    param.eta1 = 0.05; param.eta2 = 0.05; param.eta0 = 0.9;
    param.omega = 0.01; param.xi = 0.01; param.max_iter = 6;
    % evaluate_BATCH.m, training part (its lines, unchanged)
    ASCMH_DRAWS = {};
    GTrain = NormalizeFea(LTrain,1);
    tic;
    B = train_BATCH(GTrain,XKTrain,YKTrain,LTrain,param);
    XW = (XKTrain'*XKTrain+param.xi*eye(size(XKTrain,2)))    \    (XKTrain'*B);
    YW = (YKTrain'*YKTrain+param.xi*eye(size(YKTrain,2)))    \    (YKTrain'*B);
    trainSeconds = toc;
    draws = ASCMH_DRAWS;
    ASCMH_DRAWS = 0;
    BxTest = double(XKTest*XW>0);
    ByTest = double(YKTest*YW>0);
    [i2t, t2i] = authors_map(BxTest > 0, ByTest > 0, B > 0, LTest, LTrain);
    B0 = draws{1}; V0 = draws{2};
    completionCols = zeros(1, numel(draws) - 2);
    vars = {'B', 'BxTest', 'ByTest', 'B0', 'V0', 'i2t', 't2i', 'trainSeconds', 'kernelSeconds', ...
            'imageAnchors', 'textAnchors', 'completionCols'};
    for it = 3:numel(draws)
      completionCols(it - 2) = size(draws{it}, 2);
      if size(draws{it}, 2) > 0
        eval(sprintf('C%d = draws{%d};', it - 2, it));
        vars{end + 1} = sprintf('C%d', it - 2);
      end
    end
    save('-v6', sprintf('%s/batch_%d_%d.mat', outdir, seed, nbits), vars{:});
    printf('BATCH seed %d, %d bits: I2T %.4f T2I %.4f, train %.3f s (+ kernel %.3f s)\n', seed, nbits, i2t, t2i, trainSeconds, kernelSeconds);
  end
end
