function [i2t, t2i] = authors_map(BxTest, ByTest, Bdb, LTest, LTrain)
% mAP of both tasks exactly as the authors' evaluate scripts compute it (compactbit, hammingDist,
% a stable sort, mAP.m), train-codes protocol: Bdb is the database's code bits (logical, n x r).
  BxTrain = compactbit(Bdb);
  DHamm = hammingDist(compactbit(BxTest), BxTrain);
  [~, orderH] = sort(DHamm, 2);
  i2t = mAP(orderH', LTrain, LTest);
  DHamm = hammingDist(compactbit(ByTest), BxTrain);
  [~, orderH] = sort(DHamm, 2);
  t2i = mAP(orderH', LTrain, LTest);
end
