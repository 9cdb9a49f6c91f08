export declare function freePort(): Promise<number>;
export declare function startMosquitto(): Promise<{
    url: string;
    port: number;
    stop(): Promise<void>;
}>;
//# sourceMappingURL=mosquitto.d.ts.map