System.Console.WriteLine("neuralpool");
